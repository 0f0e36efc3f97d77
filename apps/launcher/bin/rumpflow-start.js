#!/usr/bin/env node
// Committed entry point: npm links it at install; it runs the built program (npm run build).
import '../dist/main.js';
