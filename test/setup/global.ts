/**
 * Global test set-up. System packages that some suites need are installed here when missing
 * (added with the suites that need them).
 */
export default async function setup(): Promise<void> {}
