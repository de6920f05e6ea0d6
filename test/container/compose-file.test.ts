import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDockerfile, parseKeyValues, splitWords, substitute } from './parse-dockerfile.ts';

/** docker-compose.yml against the image it runs: the mount, port and Redis settings must agree with the Dockerfile. */

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFile(`${REPOSITORY}${path}`, 'utf8');

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string | string[];
  volumes?: string[];
  healthcheck?: { test: string | string[] };
  depends_on?: Record<string, { condition?: string }>;
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  restart?: string;
  stop_grace_period?: string;
}

let services: Record<string, Service>;
let namedVolumes: string[];
/** ENV and EXPOSE of the Dockerfile's final stage. */
let image: { env: Record<string, string>; expose: string[] };

beforeAll(async () => {
  const compose = parse(await read('docker-compose.yml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  services = compose.services;
  namedVolumes = Object.keys(compose.volumes ?? {});
  const instructions = parseDockerfile(await read('Dockerfile'));
  image = { env: {}, expose: [] };
  for (const { keyword, text } of instructions.slice(instructions.findLastIndex((step) => step.keyword === 'FROM') + 1)) {
    if (keyword === 'ENV') Object.assign(image.env, Object.fromEntries(parseKeyValues(substitute(text, image.env))));
    if (keyword === 'EXPOSE') image.expose.push(...splitWords(text).map((port) => port.replace(/\/tcp$/, '')));
  }
});

const words = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(' ') : (value ?? ''));
const seconds = (duration: string | undefined) => {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration ?? '');
  return match === null ? 0 : Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
};

describe('docker-compose.yml', () => {
  it('runs Redis 7 with append-only persistence on a named volume, no eviction, and a health check', () => {
    const redis = services.redis!;
    expect(redis.image).toMatch(/^redis:7\b/);
    expect(words(redis.command)).toContain('--appendonly yes');
    // BullMQ loses jobs if Redis evicts keys under memory pressure.
    expect(words(redis.command)).toContain('--maxmemory-policy noeviction');
    const data = redis.volumes?.find((volume) => volume.split(':')[1] === '/data');
    expect(namedVolumes).toContain(data?.split(':')[0]);
    expect(words(redis.healthcheck?.test)).toContain('redis-cli ping');
  });

  it('builds the worker here, starts it once Redis is healthy, with secrets from .env, and restarts both', () => {
    const worker = services.worker!;
    expect(typeof worker.build === 'string' ? worker.build : worker.build?.context).toBe('.');
    expect(worker.depends_on?.redis?.condition).toBe('service_healthy');
    expect([worker.env_file].flat()).toContain('.env');
    expect(worker.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect([services.redis!.restart, worker.restart]).toEqual(['unless-stopped', 'unless-stopped']);
    // Past the worker's own 10 s shutdown, or Docker kills it mid-check.
    expect(seconds(worker.stop_grace_period)).toBeGreaterThanOrEqual(15);
  });

  it('mounts ./config/flows.yaml read-only where the image reads its config, and publishes the health port', () => {
    const worker = services.worker!;
    const configPath = worker.environment?.CONFIG_PATH ?? image.env.CONFIG_PATH!;
    expect(configPath).toBe(image.env.CONFIG_PATH);
    const mount = worker.volumes?.map((volume) => volume.split(':')).find(([, inside]) => inside !== undefined && (configPath === inside || configPath.startsWith(`${inside}/`)));
    expect(mount?.[2]).toBe('ro');
    expect(posix.join(mount![0]!, posix.relative(mount![1]!, configPath))).toBe('config/flows.yaml');
    const httpPort = worker.environment?.HTTP_PORT ?? image.env.HTTP_PORT!;
    expect(image.expose).toContain(httpPort);
    expect(worker.ports?.map((port) => port.split(':').at(-1))).toContain(httpPort);
  });

  it('.env.example names every variable the example config reads, and git ignores .env', async () => {
    const example = await read('.env.example');
    const config = (await read('config/flows.example.yaml')).split('\n').filter((line) => !line.trim().startsWith('#'));
    const variables = new Set([...config.join('\n').matchAll(/\$\{(\w+)/g)].map((match) => match[1]!));
    expect(variables.size).toBeGreaterThan(0);
    for (const variable of variables) expect(example, variable).toMatch(new RegExp(`^#? ?${variable}=`, 'm'));
    expect((await read('.gitignore')).split('\n')).toContain('.env');
  });
});
