#!/bin/bash
# health_check.sh - runbook 003's daily health check script (日常健康检查脚本)
# for this deployment; cron runs it hourly (deployment/cron/qte). The
# runbook's `docker-compose ps` becomes the engine's own health check.
# Installed as /opt/qte/scripts/health_check.sh by deploy.sh, which also
# writes /opt/qte/config/deploy.env (prefix and ports) that this sources.
P=${QTE_PREFIX:-}
[ -f "$P/opt/qte/config/deploy.env" ] && . "$P/opt/qte/config/deploy.env"
HTTPS_PORT=${QTE_HTTPS_PORT:-443}
URL="https://localhost/metrics"
[ "$HTTPS_PORT" = 443 ] || URL="https://localhost:$HTTPS_PORT/metrics"

echo "=== QTE日常健康检查 ==="
echo "时间: $(date)"
echo

echo "1. 系统资源使用:"
df -h | grep -E "(/$|/opt)"
free -h
echo

echo "2. 服务状态:"
"$P/opt/qte/bin/qte-engine" healthcheck --config "$P/opt/qte/config/qte.env"
echo

echo "3. 关键指标:"
curl -s "$URL" | grep -E "(qte_portfolio_total_value|qte_trades_total)"
echo

echo "4. 最近错误:"
grep -i error "$P/opt/qte/logs/qte.log" | tail -5
echo "=== 检查完成 ==="
