#!/usr/bin/env bash
# Rebuilds the dashboard's charting library, resources/webui/vendor/echarts/echarts.min.js, from npm's
# echarts package with only the parts the dashboard uses (entry.js). Run by hand when ECharts is
# updated (change the versions in package.json), never at run time: the dashboard has no build step.
# Needs node and npm; works in a temporary folder and leaves nothing else behind.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../resources/webui/vendor/echarts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/entry.js" "$work/"
(cd "$work" && npm install --no-audit --no-fund --silent)
version="$(node -p "require('$work/node_modules/echarts/package.json').version")"
{
  printf '/* Apache ECharts %s, a partial build (packaging/echarts/entry.js). Apache-2.0: see LICENSE, NOTICE. */\n' "$version"
  "$work/node_modules/.bin/esbuild" "$work/entry.js" --bundle --format=iife --global-name=echarts --minify \
    --target=es2020 --legal-comments=none --log-level=warning
} > "$out/echarts.min.js"
cp "$work/node_modules/echarts/LICENSE" "$work/node_modules/echarts/NOTICE" "$out/"
echo "ECharts $version: $(wc -c < "$out/echarts.min.js") bytes, sha256 $(sha256sum "$out/echarts.min.js" | cut -d' ' -f1)"
