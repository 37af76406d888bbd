// Runs a test body once per instruction set this machine supports, with that ISA forced for
// the calling thread (see setIsa). Bodies must be synchronous so that no other test of the
// same file runs while the ISA is forced.
import test, { type ExecutionContext } from 'ava';
import { info, setIsa } from '../../lib';

export const isas = info().supportedIsas;

export function forEachIsa(title: string, body: (t: ExecutionContext) => void): void {
  for (const isa of isas) {
    test(`${title} [${isa}]`, (t) => {
      const before = info().isa;
      setIsa(isa);
      try {
        t.is(info().isa, isa);
        body(t);
      } finally {
        setIsa(before);
      }
    });
  }
}
