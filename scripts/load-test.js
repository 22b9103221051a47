// The contract's load profile (docs/contract.md, load-profile) as a k6 script, for people who have k6:
//   k6 run scripts/load-test.js                      (gateway on http://localhost:8000)
//   k6 run -e BASE_URL=http://127.0.0.1:9000 scripts/load-test.js
// Ramp to 10 users over 30 s, hold 100 users for 1 min, ramp down over 30 s; the run fails when the
// p95 request time reaches 500 ms or 10 % of the requests fail.
import http from 'k6/http';
import { check, sleep } from 'k6';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';

export let options = {
    stages: [
        { duration: '30s', target: 10 },   // Ramp up
        { duration: '1m', target: 100 },   // Stay at 100 users
        { duration: '30s', target: 0 },    // Ramp down
    ],
    thresholds: {
        http_req_duration: ['p(95)<500'], // 95% of requests under 500ms
        http_req_failed: ['rate<0.1'],    // Error rate under 10%
    },
};

export default function () {
    let responses = http.batch([
        ['GET', `${BASE_URL}/api/v1/products/123`],
        ['GET', `${BASE_URL}/api/v1/products/456`],
    ]);

    responses.forEach((response) => {
        check(response, {
            'status is 200': (r) => r.status === 200,
            'response time < 500ms': (r) => r.timings.duration < 500,
        });
    });

    sleep(1);
}
