print("inventory service")
