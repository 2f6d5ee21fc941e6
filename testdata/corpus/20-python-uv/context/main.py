import httpx
print("bot")
