from redis import Redis
from rq import Connection, Queue, Worker

with Connection(Redis(host="redis")):
    Worker([Queue("default")]).work()
