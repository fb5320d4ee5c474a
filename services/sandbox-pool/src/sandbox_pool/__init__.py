"""sandbox_pool"""
