#!/usr/bin/env python
import sys
print("manage", sys.argv)
