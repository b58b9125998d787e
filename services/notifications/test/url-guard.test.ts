import { AppError, Code } from '@tessera/errors';
import { assertAllowedUrl, isPublicAddress } from '../src/domain/url-guard';

const strict = { allowHttp: false, allowPrivate: false };
const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'internal.example.com': ['10.0.0.1'],
  'sneaky.example.com': ['93.184.216.34', '127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
  'v6-loopback.example.com': ['::1'],
};
const resolve = async (host: string) => {
  const found = dns[host];
  if (!found) throw new Error('ENOTFOUND');
  return found;
};

async function refused(url: string, policy = strict): Promise<boolean> {
  try {
    await assertAllowedUrl(url, policy, resolve);
    return false;
  } catch (error) {
    return error instanceof AppError && error.code === Code.INVALID_ARGUMENT && error.violations[0]?.field === '/url';
  }
}

describe('webhook URL guard (SSRF)', () => {
  test.each([
    'https://127.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1/hook',
    'https://192.168.1.10/hook',
    'https://172.16.0.5/hook',
    'https://100.64.0.1/hook',
    'https://0.0.0.0/hook',
    'https://[::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[fd00::1]/hook',
    'https://[fe80::1]/hook',
    'https://internal.example.com/hook',
    'https://metadata.example.com/hook',
    'https://v6-loopback.example.com/hook',
    'https://sneaky.example.com/hook',
    'https://nowhere.example.com/hook',
    'http://hooks.example.com/hook',
    'https://user:pass@hooks.example.com/hook',
    'ftp://hooks.example.com/hook',
    'not a url',
  ])('when the URL is %s, then it is refused', async (url) => {
    expect(await refused(url)).toBe(true);
  });

  test('when the URL is public https, then it is allowed', async () => {
    await expect(assertAllowedUrl('https://hooks.example.com/tessera', strict, resolve)).resolves.toBeInstanceOf(URL);
    await expect(assertAllowedUrl('https://93.184.216.34/tessera', strict, resolve)).resolves.toBeInstanceOf(URL);
  });

  test('when local runs allow http and private addresses, then loopback receivers are accepted', async () => {
    expect(await refused('http://127.0.0.1:9999/hook', { allowHttp: true, allowPrivate: true })).toBe(false);
    expect(await refused('http://127.0.0.1:9999/hook', { allowHttp: true, allowPrivate: false })).toBe(true);
  });

  test('when addresses are classified, then only public unicast passes', () => {
    expect(['8.8.8.8', '2606:4700::1111'].every(isPublicAddress)).toBe(true);
    expect(['127.0.0.1', '10.1.2.3', '169.254.169.254', '::1', '::ffff:10.0.0.1', '224.0.0.1', 'nonsense'].some(isPublicAddress)).toBe(false);
  });
});
