"""paynto_common"""
