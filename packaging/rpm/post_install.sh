# ocimcpd .rpm %post: gives the service its directories (state, logs, config) with their
# owners and modes, reloads systemd, and on a first install enables ocimcpd.service and
# starts it where systemd runs. $1: 1 on install, 2 on upgrade (the restart after an
# upgrade is in %postun, which runs once the old files are gone). systemctl calls that
# need a running systemd are skipped without one (a container, a chroot, CI).
set -eu
mkdir -p /var/lib/ocimcpd /var/log/ocimcpd
chown ocimcp:ocimcp /var/lib/ocimcpd /var/log/ocimcpd
chmod 0750 /var/lib/ocimcpd /var/log/ocimcpd
# Backend files may hold tokens: readable by root and the service's group only.
chown root:ocimcp /etc/ocimcpd /etc/ocimcpd/backends.d
chmod 0750 /etc/ocimcpd /etc/ocimcpd/backends.d
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || :
fi
if [ "$1" -eq 1 ]; then
    if command -v systemctl >/dev/null 2>&1; then
        systemctl enable ocimcpd.service >/dev/null 2>&1 ||
            echo "ocimcpd: could not enable ocimcpd.service; run: systemctl enable ocimcpd" >&2
    fi
    if [ -d /run/systemd/system ]; then
        systemctl start ocimcpd.service ||
            echo "ocimcpd: ocimcpd.service did not start; see: journalctl -u ocimcpd" >&2
    fi
fi
exit 0
