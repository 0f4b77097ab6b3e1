#!/usr/bin/env node
// The CLI entry: compiled code lives in dist/ (built by `npm run build`, run on install).
import "../dist/codegen/run.js";
