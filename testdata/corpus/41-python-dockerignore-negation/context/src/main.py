import httpx
import tomli

from src.config import load


def main():
    cfg = load()
    print(httpx.get(cfg["endpoint"]).status_code)


if __name__ == "__main__":
    main()
