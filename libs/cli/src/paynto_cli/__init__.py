"""paynto_cli"""
