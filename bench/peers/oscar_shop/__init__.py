"""A minimal django-oscar 4.2 shop, the peer that bench/peers.py measures fenxiao against.

It runs only inside the benchmark's own virtual environment (bench/.peers-venv, from
bench/peers/oscar-requirements.txt); nothing in fenxiao imports it.
"""
