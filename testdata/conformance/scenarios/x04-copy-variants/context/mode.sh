#!/bin/sh
echo mode
