/** default_scope: task scopes (mmpose, mmseg, ...) win for bare names only while a config that names them builds. */
import { expect } from 'chai';
import { z } from 'zod';
import { ConfigError } from '../../src/core/errors';
import { Registry, withDefaultScope, withRegistrationScope } from '../../src/registry/registry';

function makeRegistry(): Registry<string> {
  const r = new Registry<string>('thing');
  r.register(z.object({}), () => 'builtin', { name: 'Flip' });
  r.register(z.object({}), () => 'pose', { name: 'Flip', scope: 'mmpose' });
  r.register(z.object({}), () => 'pose-only', { name: 'Affine', scope: 'mmpose' });
  return r;
}

describe('registry: default scope', () => {
  it('a bare name is the built-in without a default scope, the task scope with one', () => {
    const r = makeRegistry();
    expect(r.resolve('Flip', 'p').factory({}, undefined as never)).to.equal('builtin');
    withDefaultScope('mmpose', () => expect(r.resolve('Flip', 'p').factory({}, undefined as never)).to.equal('pose'));
    withDefaultScope('mmdet', () => expect(r.resolve('Flip', 'p').factory({}, undefined as never)).to.equal('builtin'));
    expect(r.resolve('mmpose.Flip', 'p').factory({}, undefined as never)).to.equal('pose');
  });

  it('a task-scope component is not found by its bare name outside its scope', () => {
    const r = makeRegistry();
    expect(() => r.resolve('Affine', 'pipeline.0')).to.throw(ConfigError, /unknown thing type 'Affine'/);
    withDefaultScope('mmpose', () => expect(r.resolve('Affine', 'p').factory({}, undefined as never)).to.equal('pose-only'));
  });

  it('the scope is restored after the build, also when it throws', () => {
    const r = makeRegistry();
    expect(() => withDefaultScope('mmpose', () => r.resolve('Nope', 'p'))).to.throw(ConfigError);
    expect(r.resolve('Flip', 'p').factory({}, undefined as never)).to.equal('builtin');
  });

  it("plugins cannot register into a task scope of hrdet's", () => {
    const r = makeRegistry();
    expect(() => withRegistrationScope('my_plugin', () => r.register(z.object({}), () => 'x', { name: 'Flip2', scope: 'mmpose' }))).to.throw(/'mmpose' scope/);
  });
});
