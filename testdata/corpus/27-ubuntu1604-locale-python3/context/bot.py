import requests
import yaml

with open("config.yml") as f:
    cfg = yaml.safe_load(f)
print(requests.get(cfg["url"]).status_code)
