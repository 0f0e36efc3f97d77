// The CLI from its sources, for the tests (bin/rumphijack.js runs the built one).
import { main } from '../src/main.js';

process.exitCode = await main(process.argv.slice(2), process.env);
