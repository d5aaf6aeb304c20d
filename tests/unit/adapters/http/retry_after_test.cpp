// Retry-After parsing and the meaning of status codes.
#include <gtest/gtest.h>

#include "http/client.hpp"

namespace schakel::http {
namespace {

TimePoint at(const char* rfc3339) {
  TimePoint t;
  EXPECT_TRUE(parse_rfc3339(rfc3339, t));
  return t;
}

TEST(RetryAfter, DelaySeconds) {
  const TimePoint now = at("2026-03-04T09:15:00Z");
  EXPECT_EQ(parse_retry_after("0", now), Milliseconds{0});
  EXPECT_EQ(parse_retry_after(" 120 ", now), Milliseconds{120'000});
  EXPECT_EQ(parse_retry_after("99999999999999999999", now), Milliseconds{86'400'000});
}

TEST(RetryAfter, HttpDatesInAllThreeForms) {
  const TimePoint now = at("1994-11-06T08:49:30Z");
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Milliseconds{7'000});
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), Milliseconds{7'000});
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), Milliseconds{7'000});
}

TEST(RetryAfter, DateInThePastMeansNow) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at("2026-01-01T00:00:00Z")), Milliseconds{0});
}

TEST(RetryAfter, MalformedValuesAreRefused) {
  const TimePoint now = at("2026-03-04T09:15:00Z");
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now));
  EXPECT_FALSE(parse_retry_after("Sun, 31 Feb 1994 08:49:37 GMT", now));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:37 CET", now));
}

TEST(StatusClasses, TransientAndPermanent) {
  EXPECT_EQ(classify_status(200), Outcome::success);
  EXPECT_EQ(classify_status(204), Outcome::success);
  for (int s : {408, 425, 429, 500, 502, 503, 504}) EXPECT_EQ(classify_status(s), Outcome::transient) << s;
  for (int s : {400, 401, 403, 404, 409, 413, 422}) EXPECT_EQ(classify_status(s), Outcome::permanent) << s;
}

TEST(StatusClasses, ResponseStatusSaysWhatAndWhere) {
  Response r;
  r.status = 503;
  r.url = "https://portal.example:443/api";
  r.body = "down for maintenance";
  Status s = response_status(r);
  EXPECT_TRUE(is_transient(s));
  EXPECT_EQ(s.message(), "HTTP 503 from https://portal.example:443/api: down for maintenance");
  r.status = 422;
  EXPECT_EQ(response_status(r).code(), ErrorCode::invalid);
  r.status = 201;
  EXPECT_TRUE(response_status(r).is_ok());
}

TEST(Headers, LookupIgnoresCase) {
  Response r;
  r.headers = {{"Content-Type", "application/json"}, {"retry-after", "5"}};
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("Retry-After"), "5");
  EXPECT_FALSE(r.header("Location"));
}

TEST(ClientOptions, PlainHttpAndOtherSchemesAreRefusedUnlessAllowed) {
  auto client = Client::create({});
  ASSERT_TRUE(client) << client.status().message();
  auto r = (*client)->send({"GET", "http://127.0.0.1:9/x", {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::invalid);
  EXPECT_EQ(r.status().message(), "plain http is not allowed (use https): http://127.0.0.1:9/x");
  r = (*client)->send({"GET", "ftp://example.org/x", {}, {}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("scheme must be https"), std::string::npos);
  r = (*client)->send({"GET", "not a url", {}, {}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("not a valid URL"), std::string::npos);
}

TEST(ClientOptions, MissingCaBundleIsReportedAtCreation) {
  ClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  auto client = Client::create(o);
  ASSERT_FALSE(client);
  EXPECT_NE(client.status().message().find("/nonexistent/ca.pem"), std::string::npos);
  o = {};
  o.client_cert_file = "/x.pem";
  client = Client::create(o);
  ASSERT_FALSE(client);
  EXPECT_NE(client.status().message().find("go together"), std::string::npos);
}

}  // namespace
}  // namespace schakel::http
