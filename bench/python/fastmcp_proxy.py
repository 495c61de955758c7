#!/usr/bin/env python3
"""FastMCP's own proxy as a benchmark peer: a stdio backend served over Streamable HTTP.

  fastmcp_proxy.py --http HOST:PORT -- COMMAND [ARGS...]

Serves stateful Streamable HTTP at /mcp. Uses fastmcp.server.create_proxy (the
documented API in FastMCP 4.1.2; FastMCP.as_proxy no longer exists) over a
StdioTransport, which keeps ONE backend subprocess alive and shares it across
all front sessions (keep_alive defaults to True). Quiet like echo_server.py.
"""
import argparse
import os

os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")
os.environ.setdefault("FASTMCP_LOG_LEVEL", "WARNING")

from fastmcp.client.transports import StdioTransport  # noqa: E402
from fastmcp.server import create_proxy  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--http", metavar="HOST:PORT", required=True)
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...] (stdio backend)")
    a = p.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        p.error("missing backend command after --")
    # Backend stderr goes to ours (StdioTransport's default).
    proxy = create_proxy(StdioTransport(command=cmd[0], args=cmd[1:]), name="fastmcp-proxy")
    host, _, port = a.http.rpartition(":")
    proxy.run("http", show_banner=False, log_level="WARNING",
              host=host.strip("[]"), port=int(port), path="/mcp")


if __name__ == "__main__":
    main()
