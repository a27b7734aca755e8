#!/usr/bin/env bash
# Minimal Debian TeX Live for compiling `psoreg report --out report.tex|.pdf` (pdflatex with
# booktabs, longtable, geometry, caption, Latin Modern Type 1 fonts) and poppler-utils for the
# tests' `pdffonts`/`pdftoppm`/`pdfimages` (idempotent; run as root).
set -euo pipefail
need=()
command -v pdflatex >/dev/null || need+=(texlive-latex-base)
kpsewhich booktabs.sty >/dev/null 2>&1 || need+=(texlive-latex-recommended)
kpsewhich lmodern.sty >/dev/null 2>&1 || need+=(lmodern)
command -v pdffonts >/dev/null || need+=(poppler-utils)
if [ "${#need[@]}" -eq 0 ]; then
    echo "texlive: pdflatex, booktabs, lmodern and poppler-utils present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "texlive: not root; missing ${need[*]} (the LaTeX/PDF tests are skipped)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# another apt run may hold the lock for a while: wait up to 5 minutes for it
apt_get() { apt-get -o DPkg::Lock::Timeout=300 "$@"; }
apt_get update -qq
apt_get install -y -qq --no-install-recommends "${need[@]}"
pdflatex --version | head -1
