#!/usr/bin/env bash
# Java 17 runtime for the Spark tests and `psoreg outcomes --engine spark` (idempotent; root).
exec bash "$(dirname "$0")/../system-deps.sh" java
