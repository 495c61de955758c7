# ocimcpd .rpm %postun: reloads systemd (where it runs); after an upgrade ($1 >= 1)
# restarts the service if it was running, so the new binary takes over. Configuration
# (edited files are kept as .rpmsave), state, logs and the ocimcp user stay on removal:
# RPM has no purge, delete /etc/ocimcpd, /var/lib/ocimcpd and /var/log/ocimcpd by hand.
set -eu
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || :
    if [ "$1" -ge 1 ]; then
        systemctl try-restart ocimcpd.service ||
            echo "ocimcpd: ocimcpd.service did not restart; see: journalctl -u ocimcpd" >&2
    fi
fi
exit 0
