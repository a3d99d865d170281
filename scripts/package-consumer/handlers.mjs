// A plain worker module of the consumer project: its named exports are the handlers.
export function add(a, b) {
  return a + b;
}
