/**
 * Suites that need a Debian package ask here first, and fail with a message that says what to
 * install (test/setup/global.ts installs them when it runs as root).
 */
import { existsSync } from 'node:fs';

/** Throws a clear error when `binary` (from Debian package `pkg`) is not installed. */
export function requireBinary(binary: string, pkg: string): string {
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} is missing: install the Debian package "${pkg}" ` +
        `(sudo apt-get install -y --no-install-recommends ${pkg}); the global test set-up does it when run as root`,
    );
  }
  return binary;
}
