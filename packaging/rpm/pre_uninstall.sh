# ocimcpd .rpm %preun: on removal ($1 = 0), stops ocimcpd.service and ocimcpd.socket
# (where systemd runs) and disables them; on an upgrade ($1 = 1) nothing.
set -eu
if [ "$1" -eq 0 ]; then
    if [ -d /run/systemd/system ]; then
        systemctl stop ocimcpd.socket ocimcpd.service || :
    fi
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable ocimcpd.service ocimcpd.socket >/dev/null 2>&1 || :
    fi
fi
exit 0
