/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * list.h - the one intrusive doubly linked list of the project.
 *
 * An object on a list embeds LIST_FIELDS(type, name): a name_prev and a
 * name_next pointer, so one object may sit on several lists at once (a
 * lease is on its client's and on its device's). The head is a plain
 * pointer to the first object, NULL when the list is empty. Insertion is
 * at the head and removal is O(1); neither allocates, so neither fails.
 * Iterating while removing the current object needs LIST_FOREACH_SAFE.
 */
#ifndef WD_LIST_H
#define WD_LIST_H

#define LIST_FIELDS(t, name) t *name##_prev, *name##_next

#define LIST_PREPEND(name, head, item) do {				\
		__typeof__(*(item)) **_head = &(head), *_item = (item);	\
		_item->name##_prev = NULL;				\
		_item->name##_next = *_head;				\
		if (*_head)						\
			(*_head)->name##_prev = _item;			\
		*_head = _item;						\
	} while (0)

#define LIST_REMOVE(name, head, item) do {				\
		__typeof__(*(item)) **_head = &(head), *_item = (item);	\
		if (_item->name##_prev)					\
			_item->name##_prev->name##_next = _item->name##_next; \
		else							\
			*_head = _item->name##_next;			\
		if (_item->name##_next)					\
			_item->name##_next->name##_prev = _item->name##_prev; \
		_item->name##_prev = _item->name##_next = NULL;		\
	} while (0)

#define LIST_FOREACH(name, i, head) \
	for ((i) = (head); (i); (i) = (i)->name##_next)

#define LIST_FOREACH_SAFE(name, i, n, head) \
	for ((i) = (head); (i) && (((n) = (i)->name##_next), 1); (i) = (n))

#endif
