// Builds the Next.js app once before the suites that start real servers.
// @ts-expect-error -- a plain ESM script shared with `npm start`
import { ensureBuild } from "../../scripts/ensure-build.mjs";

export default function setup(): void {
  ensureBuild();
}
