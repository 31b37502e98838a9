import { isS3Url, objectUrl, parseS3Url, prefixName, prefixOf, s3UrlStyleOption } from '../lib/s3-url';
import { thrown } from './helpers';

describe('parseS3Url', () => {
  test.each([
    ['s3://corpus', { bucket: 'corpus', key: '' }],
    ['s3://corpus/', { bucket: 'corpus', key: '' }],
    ['s3://corpus/qa/a.jsonl', { bucket: 'corpus', key: 'qa/a.jsonl' }],
    ['s3://my.bucket-1/qa/2024/', { bucket: 'my.bucket-1', key: 'qa/2024/' }],
  ])('%s', (url, expected) => {
    expect(parseS3Url(url)).toEqual(expected);
  });

  test.each([
    ['s3://', 'an s3:// URL needs a bucket name (3-63 of a-z, 0-9, \'.\', \'-\'), got "s3://"'],
    ['s3://ab/x', 'an s3:// URL needs a bucket name (3-63 of a-z, 0-9, \'.\', \'-\'), got "s3://ab/x"'],
    ['s3://Corpus/x', 'an s3:// URL needs a bucket name (3-63 of a-z, 0-9, \'.\', \'-\'), got "s3://Corpus/x"'],
    ['s3://corpus//x', 'an s3:// key may not hold an empty path segment, got "s3://corpus//x"'],
    ['/data/x.jsonl', 'not an s3:// URL, got "/data/x.jsonl"'],
  ])('%s is refused in one line', (url, message) => {
    const error = thrown(() => parseS3Url(url));
    expect([error.code, error.message]).toEqual(['ERR_USAGE', message]);
  });
});

test.each([
  ['s3://corpus', { bucket: 'corpus', prefix: '' }, 'corpus'],
  ['s3://corpus/dist', { bucket: 'corpus', prefix: 'dist/' }, 'dist'],
  ['s3://corpus/runs/ds1/', { bucket: 'corpus', prefix: 'runs/ds1/' }, 'ds1'],
])('prefixOf and prefixName of %s', (url, prefix, name) => {
  expect(prefixOf(url)).toEqual(prefix);
  expect(prefixName(url)).toBe(name);
});

test('isS3Url and objectUrl', () => {
  expect([isS3Url('s3://a/b'), isS3Url('S3://a/b'), isS3Url('./s3://a'), isS3Url('-')]).toEqual([true, false, false, false]);
  expect(objectUrl('corpus', 'qa/a.jsonl')).toBe('s3://corpus/qa/a.jsonl');
});

test.each([
  [undefined, undefined],
  ['path', 'path'],
  ['vhost', 'vhost'],
])('--s3-url-style %s', (value, expected) => {
  expect(s3UrlStyleOption(value)).toBe(expected);
});

test('--s3-url-style of another value is one line naming the option', () => {
  const error = thrown(() => s3UrlStyleOption('virtual'));
  expect([error.code, error.message]).toEqual(['ERR_OPTION', '--s3-url-style must be path or vhost, got "virtual"']);
});
