#!/usr/bin/python3
"""SWV referral portal simulator: the contract in referral-portal.openapi.yaml over HTTPS, plus a
plain-HTTP control port for tests. Standard library only.

Prints one JSON line on stdout once both ports listen: {"port": N, "control_port": M}.
The client secret comes from --client-secret-file or $SCHAKEL_PORTAL_CLIENT_SECRET (a secret on
the command line is visible to other users), and is never logged."""

import argparse
import json
import os
import signal
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api  # noqa: E402
import contract as ct  # noqa: E402
import control  # noqa: E402
from http_base import QuietServer, log_line  # noqa: E402
import state as st  # noqa: E402

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class TlsServer(QuietServer):
    def __init__(self, address, handler, context):
        self.context = context
        super().__init__(address, handler)

    def get_request(self):
        sock, addr = super().get_request()
        # The handshake runs in the handler's thread, so a silent client cannot stall accept().
        return self.context.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), addr


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cert", required=True, help="server certificate chain (PEM)")
    p.add_argument("--key", required=True, help="server private key (PEM)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    p.add_argument("--port", type=int, default=0, help="HTTPS API port; 0 picks a free one")
    p.add_argument("--control-port", type=int, default=0, help="control port; 0 picks one")
    p.add_argument("--client-id", default=os.environ.get("SCHAKEL_PORTAL_CLIENT_ID"),
                   help="OAuth2 client id (default $SCHAKEL_PORTAL_CLIENT_ID)")
    p.add_argument("--client-secret", help="client secret (visible in ps; prefer the file or env)")
    p.add_argument("--client-secret-file",
                   help="file holding the client secret (default $SCHAKEL_PORTAL_CLIENT_SECRET)")
    p.add_argument("--token-expiry", type=int, default=3600, help="token lifetime in seconds")
    p.add_argument("--seed", type=int, default=0, help="seed for random faults")
    p.add_argument("--contract", help="the OpenAPI contract (default: found in the repository)")
    args = p.parse_args(argv)
    if args.host not in LOOPBACK:
        p.error("--host must be a loopback address")
    if args.token_expiry < 1:
        p.error("--token-expiry must be at least 1 second")
    if not args.client_id:
        p.error("a client id is required (--client-id or $SCHAKEL_PORTAL_CLIENT_ID)")
    if args.client_secret:
        pass
    elif args.client_secret_file:
        with open(args.client_secret_file, encoding="utf-8") as f:
            args.client_secret = f.read().strip()
    else:
        args.client_secret = os.environ.get("SCHAKEL_PORTAL_CLIENT_SECRET")
    if not args.client_secret:
        p.error("a client secret is required (--client-secret-file or "
                "$SCHAKEL_PORTAL_CLIENT_SECRET)")
    return args


def main(argv):
    args = parse_args(argv)
    contract = ct.Contract(ct.find_contract(args.contract))
    portal = st.PortalState(contract, {args.client_id: args.client_secret},
                            args.token_expiry, args.seed)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)

    api_server = TlsServer((args.host, args.port), api.ApiHandler, context)
    control_server = QuietServer((args.host, args.control_port), control.ControlHandler)
    for server in (api_server, control_server):
        server.state = portal

    threads = [threading.Thread(target=s.serve_forever, args=(0.1,), daemon=True)
               for s in (api_server, control_server)]
    for t in threads:
        t.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    print(json.dumps({"port": api_server.server_address[1],
                      "control_port": control_server.server_address[1]}), flush=True)
    log_line(f"portal simulator listening on https://{args.host}:{api_server.server_address[1]} "
             f"(control http://{args.host}:{control_server.server_address[1]}), contract "
             f"{contract.path}")
    stop.wait()
    for server in (api_server, control_server):
        server.shutdown()
        server.server_close()
    log_line("portal simulator stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
