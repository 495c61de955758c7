#!/usr/bin/env python3
"""FastMCP echo backend for the benchmarks.

One tool, echo(message) -> message.
  echo_server.py                      serve MCP over stdio
  echo_server.py --http HOST:PORT     serve Streamable HTTP (stateful) at /mcp
Quiet: no banner, no update check, warnings only, all logging on stderr.
"""
import argparse
import os

# Must be set before fastmcp is imported: its settings read the environment once.
os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")
os.environ.setdefault("FASTMCP_LOG_LEVEL", "WARNING")

from fastmcp import FastMCP  # noqa: E402

mcp = FastMCP("echo")


@mcp.tool
def echo(message: str) -> str:
    """Return the message unchanged."""
    return message


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--http", metavar="HOST:PORT", help="serve Streamable HTTP at /mcp instead of stdio")
    a = p.parse_args()
    if a.http is None:
        mcp.run("stdio", show_banner=False, log_level="WARNING")
    else:
        host, _, port = a.http.rpartition(":")
        mcp.run("http", show_banner=False, log_level="WARNING",
                host=host.strip("[]"), port=int(port), path="/mcp")


if __name__ == "__main__":
    main()
