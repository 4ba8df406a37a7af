#!/usr/bin/env bash
# Builds flowplan's release archives: static binaries (no cgo) with the
# version stamped, one archive per target, and SHA256SUMS over them.
#
#   .github/scripts/build-release.sh VERSION OUTDIR [GOOS/GOARCH ...]
#
# Without targets it builds every released one. The release workflow runs
# it for a tag; .ci/run runs it for one non-Linux target, so that a
# platform-specific file cannot break the release unnoticed.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=${1:?usage: build-release.sh VERSION OUTDIR [GOOS/GOARCH ...]}
out=${2:?usage: build-release.sh VERSION OUTDIR [GOOS/GOARCH ...]}
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)
fi

# 'flowplan version' prints this variable when it is set (see
# cmd/flowplan/internal/cli/version.go).
stamp="-X github.com/flowplan/flowplan/cmd/flowplan/internal/cli.version=${version}"

mkdir -p "$out"
for target in "${targets[@]}"; do
  goos=${target%/*} goarch=${target#*/}
  name="flowplan_${version}_${goos}_${goarch}"
  exe=flowplan
  if [ "$goos" = windows ]; then exe=flowplan.exe; fi
  echo "building $name"
  rm -rf "${out:?}/$name"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch \
    go build -trimpath -ldflags "-s -w $stamp" -o "$out/$name/$exe" ./cmd/flowplan
  cp README.md "$out/$name/"
  if [ "$goos" = windows ]; then
    (cd "$out" && rm -f "$name.zip" && zip -qr "$name.zip" "$name")
  else
    tar -C "$out" -czf "$out/$name.tar.gz" "$name"
  fi
  rm -rf "${out:?}/$name"
done
cd "$out"
shopt -s nullglob
sha256sum flowplan_*.tar.gz flowplan_*.zip > SHA256SUMS
cat SHA256SUMS
