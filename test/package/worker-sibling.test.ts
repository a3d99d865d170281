/**
 * Running from sources under tsx, a worker named by its built name (`./handlers.js`, what the
 * compiled code will load) while only `handlers.ts` exists loads the TypeScript sibling; a name
 * with neither file still fails at register() naming the field.
 */
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/index.ts';

describe('a worker URL whose .js file is missing', () => {
  it('loads the .ts sibling', async () => {
    const sup = new Supervisor();
    sup.register('geo', {
      worker: new URL('../fixtures/handlers.js', import.meta.url),
      threads: { min: 0, max: 1 },
    });
    await expect(sup.call('geo', 'add', [2, 3])).resolves.toBe(5);
    await sup.close();
  });

  it('still refuses a module with neither file', () => {
    const sup = new Supervisor();
    expect(() =>
      sup.register('x', { worker: new URL('../fixtures/nothing-here.js', import.meta.url) }),
    ).toThrow(/options\.worker must be an existing module file/);
    return sup.close();
  });
});
