import falcon


class Health:
    def on_get(self, req, resp):
        resp.media = {"status": "ok"}


api = falcon.API()
api.add_route("/health", Health())
