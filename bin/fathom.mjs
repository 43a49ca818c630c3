#!/usr/bin/env node
// The `fathom` command (README, "The command line"): runs the TypeScript of
// cli/ through tsx, so a checkout or an installed package needs no build step.
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("../cli/main.ts", import.meta.url);
process.exitCode = await main(process.argv.slice(2));
