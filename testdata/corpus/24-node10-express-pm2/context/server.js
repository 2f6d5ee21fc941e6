const express = require("express");
const bodyParser = require("body-parser");
const morgan = require("morgan");

const app = express();
app.use(morgan("combined"));
app.use(bodyParser.json());
app.get("/", (req, res) => res.json({ ok: true }));
app.listen(3000);
