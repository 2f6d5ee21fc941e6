module.exports = {
  apps: [{ name: "legacy-api", script: "./server.js", instances: 2, exec_mode: "cluster" }],
};
