const fastify = require("fastify")({ logger: true });

fastify.get("/healthz", async () => ({ status: "ok" }));
fastify.get("/", async () => ({ service: "status-page" }));

fastify.listen(3000, "0.0.0.0");
