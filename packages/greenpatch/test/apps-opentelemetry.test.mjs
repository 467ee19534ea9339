// OpenTelemetry's http instrumentation and greenpatch compose in either
// order: server and client spans for requests made from green threads, each
// parented by the one it happened in, across blocking calls.
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

const orders = {
  'OpenTelemetry first': ['--require', './apps/otel-setup.cjs', '--require', 'greenpatch/register'],
  'greenpatch first': ['--require', 'greenpatch/register', '--require', './apps/otel-setup.cjs'],
};

for (const [order, flags] of Object.entries(orders)) {
  test(`OpenTelemetry http spans (${order}): outer client → front server → inner client → upstream server`, async (t) => {
    t.timeout(40_000);
    const r = await runFixture([...flags, 'apps/otel-app.js']);
    t.is(r.stderr, '');
    t.is(r.code, 0);
    const [reply, json] = r.stdout.trim().split('\n');
    t.is(reply, 'front saw upstream');
    const spans = JSON.parse(json);
    const find = (kind, target) => spans.find((s) => s.kind === kind && s.target === target);
    const outerClient = find('client', '/outer');
    const frontServer = find('server', '/outer');
    const innerClient = find('client', '/inner');
    const upstreamServer = find('server', '/inner');
    t.truthy(outerClient && frontServer && innerClient && upstreamServer, JSON.stringify(spans));
    t.is(spans.length, 4);
    t.is(outerClient.parentSpanId, undefined);
    t.is(frontServer.parentSpanId, outerClient.spanId);
    // Made after the handler blocked (sleep): still inside the server span.
    t.is(innerClient.parentSpanId, frontServer.spanId);
    t.is(upstreamServer.parentSpanId, innerClient.spanId);
    t.is(new Set(spans.map((s) => s.traceId)).size, 1);
  });
}
