#!/usr/bin/env node
// Thin launcher so `npx tributary` works from the built package.
import "../dist/src/cli/main.js";
