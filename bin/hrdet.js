#!/usr/bin/env node
'use strict';
// The compiled CLI (`npm run build` writes dist/).
require('../dist/src/cli/main.js').run();
