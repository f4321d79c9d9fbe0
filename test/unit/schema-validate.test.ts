import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compiledValidator, schemaIssues } from '../../src/api/schemas/validate.js';

afterEach(() => vi.restoreAllMocks());

describe('schema validation', () => {
  it('compiles each schema once, however often values are checked', () => {
    const compile = vi.spyOn(TypeCompiler, 'Compile');
    const schema = Type.Object({ id: Type.String(), n: Type.Optional(Type.Number()) });
    for (let i = 0; i < 100; i++) {
      expect(compiledValidator(schema).Check({ id: `a${i}` })).toBe(true);
      expect(schemaIssues(schema, { id: 1 })).toHaveLength(1);
    }
    expect(compile).toHaveBeenCalledTimes(1);
    expect(compiledValidator(schema)).toBe(compiledValidator(schema));
    const other = Type.Object({ id: Type.String() });
    compiledValidator(other).Check({});
    expect(compile).toHaveBeenCalledTimes(2);
  });

  it('reports issues with their JSON pointer, up to the limit', () => {
    const schema = Type.Object({ a: Type.String(), b: Type.Number() });
    expect(schemaIssues(schema, { a: 'x', b: 1 })).toEqual([]);
    expect(schemaIssues(schema, { a: 1, b: 'y' }, 1)).toEqual([{ path: '/a', message: expect.any(String) }]);
  });
});
