import { describe, expect, it } from 'vitest';
import { errorFrom } from './api';
import { appBase, appUrl, basenameOf } from './base';

describe('errorFrom', () => {
  it('takes the message, code, field and position of the API error body', () => {
    const error = errorFrom(400, { error: { code: 'bad_query', message: 'unexpected ")"', position: 7 } });
    expect(error.message).toBe('unexpected ")"');
    expect(error.status).toBe(400);
    expect(error.code).toBe('bad_query');
    expect(error.position).toBe(7);
    expect(errorFrom(422, { error: { code: 'invalid', message: 'm', field: 'email' } }).field).toBe('email');
  });

  it('says something useful without a body', () => {
    expect(errorFrom(502, undefined, 'Bad Gateway').message).toBe('The server failed (502 Bad Gateway). Try again shortly.');
    expect(errorFrom(404, 'not json').message).toBe('The request failed (404).');
    expect(errorFrom(400, { error: 'flat string' }).message).toBe('The request failed (400).');
    expect(errorFrom(400, { error: { message: '' } }).message).toBe('The request failed (400).');
  });
});

describe('base path', () => {
  it('resolves API URLs against the document base', () => {
    expect(appUrl('api/me', 'http://h:8080/').href).toBe('http://h:8080/api/me');
    expect(appUrl('api/me', 'http://h/otel/').href).toBe('http://h/otel/api/me');
    expect(appUrl('/api/me', 'http://h/otel/').href).toBe('http://h/otel/api/me');
  });

  it('builds the base URL from the origin and the base path', () => {
    expect(appBase('http://h:8080', '')).toBe('http://h:8080/');
    expect(appBase('http://h', '/otel')).toBe('http://h/otel/');
    expect(appBase('http://h', '/otel/')).toBe('http://h/otel/');
    expect(appUrl('api/team/sources', appBase('https://h', '/a/b')).href).toBe('https://h/a/b/api/team/sources');
  });

  it('gives the router its basename', () => {
    expect(basenameOf('')).toBe('');
    expect(basenameOf('/')).toBe('');
    expect(basenameOf('/otel')).toBe('/otel');
    expect(basenameOf('/otel/')).toBe('/otel');
    expect(basenameOf('otel/')).toBe('/otel');
  });
});
