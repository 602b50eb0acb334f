#!/usr/bin/env bash
# Installs the Debian packages the platform needs (OCR, PDF tools, fonts, binutils for make package).
# Idempotent: does nothing when every tool is already present.
set -euo pipefail
need=()
command -v tesseract >/dev/null || need+=(tesseract-ocr)
[ -e /usr/share/tesseract-ocr/5/tessdata/fra.traineddata ] || need+=(tesseract-ocr-fra)
[ -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ] || need+=(tesseract-ocr-eng)
[ -e /usr/share/tesseract-ocr/5/tessdata/osd.traineddata ] || need+=(tesseract-ocr-osd)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v gs >/dev/null || need+=(ghostscript)
command -v strip >/dev/null || need+=(binutils)  # make package strips native modules
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
