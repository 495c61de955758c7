# ocimcpd .rpm %pre: creates the ocimcp system user and group before the files are
# unpacked. $1: 1 on install, 2 on upgrade. Safe to run again.
set -eu
if ! getent group ocimcp >/dev/null; then
    groupadd --system ocimcp
fi
if ! getent passwd ocimcp >/dev/null; then
    useradd --system --gid ocimcp --home-dir /var/lib/ocimcpd --no-create-home \
        --shell /usr/sbin/nologin --comment "ocimcpd MCP gateway" ocimcp
fi
exit 0
