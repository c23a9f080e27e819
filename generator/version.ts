import { readFileSync } from 'node:fs';
import { packageFile } from './paths.js';

/** This package's version, for generated headers and image tags. */
export const COCCA_BAKE_VERSION: string = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
