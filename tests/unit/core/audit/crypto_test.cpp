// HMAC-SHA-256 (the tenant pseudonyms): RFC 4231's vectors, also when a thread changes keys.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "audit/crypto.hpp"

namespace schakel::audit::test {
namespace {

// RFC 4231, test cases 1 and 2.
const std::string k_key1(20, '\x0b');
constexpr const char* k_mac1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
constexpr const char* k_mac2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

TEST(Hmac, MatchesRfc4231WhenTheKeyChangesBetweenCalls) {
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(hmac_sha256_hex(k_key1, "Hi There"), k_mac1);
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), k_mac2);
  }
  // The same key twice in a row (the context is rewound, not re-keyed), and another message.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), k_mac2);
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), k_mac2);
  EXPECT_NE(hmac_sha256_hex("Jefe", "another message"), k_mac2);
  // A key that is a prefix of the last one is another key.
  EXPECT_NE(hmac_sha256_hex("Jef", "what do ya want for nothing?"), k_mac2);
}

TEST(Hmac, EachThreadGetsTheSameAnswers) {
  std::string seen[4];
  std::thread threads[4];
  for (int i = 0; i < 4; ++i) {
    threads[i] = std::thread([&seen, i] {
      for (int n = 0; n < 100; ++n) (void)hmac_sha256_hex(i % 2 ? "Jefe" : k_key1, "warm up");
      seen[i] = hmac_sha256_hex(i % 2 ? "Jefe" : k_key1, i % 2 ? "what do ya want for nothing?" : "Hi There");
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(seen[i], i % 2 ? k_mac2 : k_mac1) << i;
}

}  // namespace
}  // namespace schakel::audit::test
