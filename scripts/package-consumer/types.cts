// The CommonJS flavour of the consumer type check (`module: nodenext`): a .cts file importing the
// package compiles to require(), which Node >= 20.19 supports for this ES-module package.
import { isCircuitOpenError, Supervisor } from 'breakwater';
import { createAdminServer } from 'breakwater/http';

const sup = new Supervisor();
sup.register('svc', { breaker: { callTimeoutMs: undefined } });
const admin = createAdminServer(sup, { token: process.env.BREAKWATER_ADMIN_TOKEN });
sup
  .run('svc', () => 1)
  .then((n: number) => console.log(n, admin.url))
  .catch((e: unknown) => console.log(isCircuitOpenError(e)));
