/** The tool's version, from package.json (checkpoints and manifests record it). */
import { version } from '../package.json';

export const TOOL_VERSION: string = version;
