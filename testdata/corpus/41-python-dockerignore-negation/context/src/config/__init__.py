import tomli


def load(path="src/config/settings.toml"):
    with open(path, "rb") as f:
        return tomli.load(f)
